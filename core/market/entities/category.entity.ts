import { EntitySchema } from 'typeorm';

export type TCategoryRow = { slug: string; name: string; created_at: Date; updated_at: Date };

export const CategoryEntity = new EntitySchema<TCategoryRow>({
  name: 'Category',
  tableName: 'categories',
  columns: {
    slug: { type: 'text', primary: true },
    name: { type: 'text' },
    created_at: { type: 'timestamptz', createDate: true },
    updated_at: { type: 'timestamptz', updateDate: true },
  },
});
