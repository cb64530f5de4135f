/** Imports exactly the file at `path` (absolute): ./import-file.mjs. */
export declare function importFile(path: string): Promise<Record<string, unknown>>;
