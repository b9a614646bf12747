/** Reported by /api/health and the OpenAPI document; keep in step with package.json. */
export const VERSION = '0.1.0';
