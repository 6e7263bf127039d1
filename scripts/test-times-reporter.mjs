// A node:test reporter that writes one JSON line per top-level test: its file and duration.
// scripts/run-tests.mjs sums them per file to print the slowest files.
export default async function* testTimes(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      yield `${JSON.stringify({ file: event.data.file, ms: event.data.details.duration_ms })}\n`;
    }
  }
}
