// Imports a user's script or user file: exactly the file named. This module is plain
// JavaScript on purpose: the TypeScript loader (tsx) follows TypeScript's convention that an
// import of `x.js` from a TypeScript file may mean `x.ts`, so `foo.js` imported from a .ts
// module would run a `foo.ts` beside it. From a .mjs module the URL is taken as it is.
import { pathToFileURL } from 'node:url';

/** @param {string} path an absolute path @returns {Promise<Record<string, unknown>>} */
export const importFile = (path) => import(pathToFileURL(path).href);
