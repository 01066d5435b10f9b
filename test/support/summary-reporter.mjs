// A node:test reporter that prints one plain closing line, "N passed, N failed", counting leaf
// tests (not suites, not the per-file wrappers), which is the line CI reads.
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, nesting, file, name } = event.data;
    if (details?.type === 'suite') continue;
    // With process isolation each file shows up as a test of its own at nesting 0 named after
    // the file; its real tests are nested inside it and counted on their own.
    if (nesting === 0 && file && name && file.endsWith(name)) continue;
    if (event.data.skip || event.data.todo) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else failed += 1;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
