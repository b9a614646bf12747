/** Limits of imports (CLI `import` and POST /api/devices/:id/import), each with its unit and reason. */

/**
 * Bytes of all the files of one import together: an EnergyRunner trace at 1 kHz is 4 bytes a sample, 14.4 MB an
 * hour; a PPK2 CSV export ~25 bytes a row. 64 MiB holds a 4-hour trace and bounds the memory one import may take.
 */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Windows one import may give: the low 16 bits of an imported window's seq are its index (import-windows.ts). */
export const MAX_IMPORT_WINDOWS = 65_536;

/** Length of the time windows a CSV export (PPK2, Joulescope) is cut into, seconds: the TMF1 default window. */
export const IMPORT_WINDOW_S = 10;

/** Rows of a CSV export at most: PPK2's 100 kS/s for ~10 minutes, or a Joulescope 2 Hz log for 2 months. */
export const MAX_IMPORT_CSV_ROWS = 10_000_000;
