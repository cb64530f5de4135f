/**
 * k6's jslib url module (`https://jslib.k6.io/url/VERSION/index.js`, mapped to this file and
 * never fetched; also `tickstorm/url`): k6's runtime lacks the WHATWG URL classes, so its
 * scripts import them from there. Node has them: they are the globals, exported as k6's are.
 *
 *   import { URL, URLSearchParams } from 'https://jslib.k6.io/url/1.0.0/index.js';
 */
const WhatwgURL = globalThis.URL;
const WhatwgURLSearchParams = globalThis.URLSearchParams;

export { WhatwgURL as URL, WhatwgURLSearchParams as URLSearchParams };
export default { URL: WhatwgURL, URLSearchParams: WhatwgURLSearchParams };
