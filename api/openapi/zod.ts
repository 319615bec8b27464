import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds .openapi() to every zod schema; route schemas import z from here so the patch always runs first.
extendZodWithOpenApi(z);

export { z };
