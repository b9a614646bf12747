import express, { Router } from 'express';
import { findUplotDist, findWebRoot } from './web-root.js';

/** Same-origin only: proves at runtime that the dashboard loads nothing from a CDN. uPlot sets inline styles. */
export const DASHBOARD_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'";
/** Seconds the browser may cache the vendored uPlot files without asking: they change only with the package version. */
const VENDOR_MAX_AGE_S = 3_600;

/** The dashboard's files at / and uPlot at /vendor/uplot/. App files are revalidated on every load (no stale UI). */
export function dashboardStaticRouter(): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('content-security-policy', DASHBOARD_CSP);
    next();
  });
  router.use('/vendor/uplot', express.static(findUplotDist(), { index: false, maxAge: VENDOR_MAX_AGE_S * 1000, fallthrough: true }));
  router.use(express.static(findWebRoot(), { index: 'index.html', cacheControl: true, maxAge: 0, fallthrough: true }));
  return router;
}
