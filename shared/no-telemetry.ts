/**
 * Government networks are closed: Apollo's anonymous telemetry must never
 * leave the machine. Import this first in every entry point (ES imports are
 * hoisted, so an assignment at the top of a file would run too late).
 */
process.env.APOLLO_TELEMETRY_DISABLED = '1';
