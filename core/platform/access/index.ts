// Who is asking and what each role may do: the vocabulary every feature and the API share.
export * from './permissions.ts';
export * from './actor.ts';
