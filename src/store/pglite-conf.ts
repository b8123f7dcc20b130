/**
 * PGlite's postgresql.conf, for every instance we open. PGlite writes it over the data
 * directory's own at each start, so an existing ./data gets it too.
 *
 * shared_buffers is the one that matters: PGlite's default (128MB) lives in the WASM heap, which
 * never shrinks, and a single-user embedded database with a few hot tables gains nothing from
 * it. 16MB reopens at about half the RSS.
 */
export const PGLITE_CONF: readonly string[] = ['shared_buffers=16MB'];
