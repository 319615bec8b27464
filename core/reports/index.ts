// The reports feature's public module: the models the renderers take (report-model.ts), the one
// render entry (render.ts) and how figures are written in the PDFs (format.ts).
export * from './report-model.ts';
export * from './render.ts';
export * from './format.ts';
