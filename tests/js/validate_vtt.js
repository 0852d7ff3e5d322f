#!/usr/bin/env node
// Validate WebVTT files with the W3C parser (webvtt-parser 2.2.0) and print one JSON report per
// file on stdout: {file, cues: [{id, start, end, text, plain, voices}], errors: [{line, col,
// message}]}. `text` is the raw cue text, `plain` the text content with character references
// decoded and tags removed, `voices` the <v> annotations in order. Exit 1 if any file has errors.
'use strict';
const fs = require('fs');
const { WebVTTParser } = require('webvtt-parser');
// The full HTML entity set, as browsers use; the default knows only six entities.
const entities = require('webvtt-parser/html-entities.json');

function walk(node, out) {
  for (const kid of node.children || []) {
    if (kid.type === 'text') {
      out.plain += kid.value;
    } else if (kid.type === 'object') {
      if (kid.name === 'v') out.voices.push(kid.value);
      walk(kid, out);
    }
  }
  return out;
}

let failed = false;
const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node validate_vtt.js FILE.vtt...\n');
  process.exit(2);
}
for (const file of files) {
  // 'subtitles' mode parses cue text too; 'metadata' would skip every tag error.
  const tree = new WebVTTParser(entities).parse(fs.readFileSync(file, 'utf8'), 'subtitles');
  const cues = tree.cues.map((c) => {
    const found = walk(c.tree, { plain: '', voices: [] });
    return { id: c.id, start: c.startTime, end: c.endTime, text: c.text, plain: found.plain, voices: found.voices };
  });
  const errors = tree.errors.map((e) => ({ line: e.line, col: e.col === undefined ? null : e.col, message: e.message }));
  if (errors.length > 0) failed = true;
  process.stdout.write(JSON.stringify({ file, cues, errors }) + '\n');
}
// exitCode, not exit(): exit() can cut off stdout still being written to a pipe (> 64 KiB).
process.exitCode = failed ? 1 : 0;
