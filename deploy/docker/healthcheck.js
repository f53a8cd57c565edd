// Container health check: GET /healthz (or the path given, e.g. /readyz) on the service's own
// port (PORT wins over SLUICE_PORT, as in @sluice/platform). Exit 0 on a 2xx within 2.5 s.
'use strict';
const path = process.argv[2] || '/healthz';
if (path !== '/healthz' && path !== '/readyz') {
  process.stderr.write(`healthcheck: expected /healthz or /readyz, got ${path}\n`);
  process.exit(2);
}
const port = process.env.PORT || process.env.SLUICE_PORT || '8080';
fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
