// Every relative link in every Markdown file of the repository leads somewhere that exists, inside the
// repository: a clone is all a reader has. External links (http, https, mailto) are not followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/repository.js';

/** Generated or installed, never part of what a reader clones (see .gitignore). */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', '.git', 'test-artifacts', 'scratch', '.test-build', path.join('bench', 'results')]);
const EXTERNAL = /^(https?:|mailto:)/i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

interface Link {
  file: string;
  line: number;
  target: string;
}

function markdownFiles(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const relative = path.relative(root, full);
      return SKIPPED_DIRS.has(entry.name) || SKIPPED_DIRS.has(relative) ? [] : markdownFiles(root, full);
    }
    return entry.isFile() && entry.name.endsWith('.md') ? [full] : [];
  });
}

/**
 * The text with fenced code blocks blanked out (line numbers stay), and inline code too unless
 * `keepInline`: examples in code are not links, and a `#` line in a code block is not a heading.
 */
function withoutCode(text: string, keepInline = false): string {
  const lines = text.split('\n');
  let fence: string | null = null;
  return lines
    .map((line) => {
      const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence !== null) {
        if (marker && marker[0] === fence[0] && marker.length >= fence.length) fence = null;
        return '';
      }
      if (marker) {
        fence = marker;
        return '';
      }
      return keepInline ? line : line.replace(/(`+)[^`]*?\1/g, (code) => ' '.repeat(code.length));
    })
    .join('\n');
}

/** Inline links and images `[text](target "title")`, and reference definitions `[ref]: target`. */
function linksIn(file: string, text: string): Link[] {
  const links: Link[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((line, index) => {
      for (const match of line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[^)]*)?\)/g)) {
        links.push({ file, line: index + 1, target: (match[1] ?? '').replace(/^<|>$/g, '') });
      }
      const definition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
      if (definition) links.push({ file, line: index + 1, target: (definition[1] ?? '').replace(/^<|>$/g, '') });
    });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slugOf(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading counts by its text
    .replace(/<[^>]+>/g, '')
    .replace(/[`*]/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file offers: one per heading, repeats numbered `-1`, `-2` as GitHub does. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(text, true).split('\n')) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** What is wrong with a link, or null when it leads to something that exists inside `root`. */
function problemOf(root: string, link: Link): string | null {
  const { target } = link;
  if (EXTERNAL.test(target)) return null;
  if (ANY_SCHEME.test(target)) return `"${target}" is neither a relative link nor http(s)/mailto`;
  const hashAt = target.indexOf('#');
  const pathPart = hashAt === -1 ? target : target.slice(0, hashAt);
  const anchor = hashAt === -1 ? null : target.slice(hashAt + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart.split('?')[0] ?? '');
  } catch {
    return `"${target}" is not a valid URL path`;
  }
  // A leading slash is the repository root, as GitHub reads it.
  const resolved = decoded === '' ? link.file : decoded.startsWith('/') ? path.join(root, decoded) : path.resolve(path.dirname(link.file), decoded);
  const inside = path.relative(root, resolved);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return `"${target}" points outside the repository`;
  if (!fs.existsSync(resolved)) return `"${target}" does not exist`;
  if (anchor && resolved.endsWith('.md')) {
    const anchors = anchorsOf(fs.readFileSync(resolved, 'utf8'));
    if (!anchors.has(decodeURIComponent(anchor).toLowerCase())) return `"${target}": no heading "#${anchor}" in ${path.relative(root, resolved)}`;
  }
  return null;
}

/** Every broken link under `root`, as `file:line: problem`. */
function brokenLinks(root: string): string[] {
  return markdownFiles(root).flatMap((file) =>
    linksIn(file, fs.readFileSync(file, 'utf8')).flatMap((link) => {
      const problem = problemOf(root, link);
      return problem === null ? [] : [`${path.relative(root, file)}:${link.line}: ${problem}`];
    }),
  );
}

test('every relative link and image in every Markdown file of the repository exists inside it', () => {
  const files = markdownFiles(REPO_ROOT).map((file) => path.relative(REPO_ROOT, file));
  assert.ok(files.includes('README.md'), 'the README is among the files checked');
  assert.deepEqual(brokenLinks(REPO_ROOT), []);
});

test('the README links the wire contract and the HTTP API of this repository', () => {
  const readme = linksIn('README.md', fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).map((link) => link.target);
  assert.ok(readme.includes('docs/protocol.md'), 'README links docs/protocol.md');
  assert.ok(readme.includes('docs/api.md'), 'README links docs/api.md');
});

test('the checker reports a missing file, a missing anchor, a link out of the repository and a broken image', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nixfleet-links-'));
  try {
    fs.mkdirSync(path.join(root, 'docs'));
    fs.mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'docs', 'guide.md'), '# Guide\n\n## Close codes (WebSocket)\n\n## `GET /health`\n\n## Close codes (WebSocket)\n');
    fs.writeFileSync(path.join(root, 'node_modules', 'x', 'README.md'), '[ignored](nowhere.md)\n');
    fs.writeFileSync(
      path.join(root, 'README.md'),
      [
        '# Top',
        '[ok](docs/guide.md) [anchor](docs/guide.md#close-codes-websocket) [second](docs/guide.md#close-codes-websocket-1)',
        '[code heading](docs/guide.md#get-health) [here](#top) [web](https://example.org/x) [mail](mailto:a@b.c)',
        '[gone](docs/missing.md)',
        '[no heading](docs/guide.md#nothing)',
        '[outside](../shared/PROTOCOL.md)',
        '![picture](docs/shot.png)',
        '[ref]: docs/absent.md',
        '```',
        '[in a code block](not/checked.md)',
        '```',
        'and `[inline code](not/checked.md)` is not a link either',
      ].join('\n'),
    );
    assert.deepEqual(brokenLinks(root), [
      'README.md:4: "docs/missing.md" does not exist',
      'README.md:5: "docs/guide.md#nothing": no heading "#nothing" in docs/guide.md',
      'README.md:6: "../shared/PROTOCOL.md" points outside the repository',
      'README.md:7: "docs/shot.png" does not exist',
      'README.md:8: "docs/absent.md" does not exist',
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('heading anchors follow GitHub: lower case, punctuation dropped, spaces become hyphens', () => {
  assert.equal(slugOf('Close codes (WebSocket)'), 'close-codes-websocket');
  assert.equal(slugOf('`POST /api/hosts/:id/command`'), 'post-apihostsidcommand');
  assert.equal(slugOf('What differs for protocol v0 (Go) agents'), 'what-differs-for-protocol-v0-go-agents');
  assert.equal(slugOf('Agent → dashboard'), 'agent--dashboard');
  assert.equal(slugOf('snake_case [link](x.md) **bold**'), 'snake_case-link-bold');
});
