// parse_html: the title, links and word counts of one HTML page, parsed with
// node-html-parser.
//
// Event:
//   {"html": "<!DOCTYPE html>...",                 required
//    "baseUrl": "http://127.0.0.1:8000/a/b.html",  the page's URL, which relative links
//                                                  resolve against
//    "topWords": 10}                               optional, how many frequent words to list
//
// Result:
//   {"title": "...", "description": meta description or "", "lang": "en" or "",
//    "headings": [text of each h1 and h2],
//    "links": [absolute http(s) URLs, fragment removed, each once, in page order],
//    "externalLinks": how many of them lead to another origin than baseUrl's,
//    "wordCount": words of visible text, "uniqueWords": distinct words,
//    "topWords": [{"word", "count"}, ...] most frequent words that are not stop words}
//
// Errors: Parse.BadInput (html is not a string, or baseUrl is not an absolute URL).

'use strict';

const { parse } = require('node-html-parser');

// Words too common to say anything about a page.
const STOP_WORDS = new Set(
  ('a an and are as at be by can for from has have in is it its it\'s of on or so ' +
   'that the their them then there these they this to was were what when which ' +
   'with without you your one each every all any not no but if into more than ' +
   'its own our we do does did may also how')
    .split(' '),
);

// A word is a run of letters, possibly with digits, apostrophes or hyphens inside.
const WORD = /\p{L}[\p{L}\p{N}'’-]*/gu;

class BadInput extends Error {
  constructor(message) {
    super(message);
    this.name = 'Parse.BadInput'; // the ASL error name the engine reports
  }
}

exports.handler = async (event) => {
  const { html, baseUrl } = event;
  if (typeof html !== 'string') throw new BadInput('html must be a string');
  const base = absoluteUrl(baseUrl);
  const root = parse(html);

  // <base href> changes what relative links resolve against.
  const baseElement = root.querySelector('base[href]');
  const linkBase = baseElement ? new URL(baseElement.getAttribute('href'), base) : base;

  const links = [];
  const seen = new Set();
  for (const anchor of root.querySelectorAll('a[href]')) {
    const link = resolve(anchor.getAttribute('href'), linkBase);
    if (link && !seen.has(link)) {
      seen.add(link);
      links.push(link);
    }
  }

  const words = visibleWords(root);
  const counts = new Map();
  for (const word of words) counts.set(word, (counts.get(word) || 0) + 1);

  return {
    title: textOf(root.querySelector('title')),
    description: root.querySelector('meta[name="description"]')?.getAttribute('content') || '',
    lang: root.querySelector('html')?.getAttribute('lang') || '',
    headings: root.querySelectorAll('h1, h2').map(textOf),
    links,
    externalLinks: links.filter((link) => new URL(link).origin !== base.origin).length,
    wordCount: words.length,
    uniqueWords: counts.size,
    topWords: topWords(counts, Number.isInteger(event.topWords) ? event.topWords : 10),
  };
};

function absoluteUrl(text) {
  try {
    return new URL(text);
  } catch {
    throw new BadInput(`baseUrl is not an absolute URL: ${JSON.stringify(text)}`);
  }
}

// The absolute form of an href, or null for links a crawler cannot follow
// (mailto:, javascript:, malformed).
function resolve(href, base) {
  let url;
  try {
    url = new URL(href.trim(), base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  return url.href;
}

// Lower-cased words of the text a reader sees: the body without scripts and styles.
function visibleWords(root) {
  const body = root.querySelector('body') || root;
  for (const hidden of body.querySelectorAll('script, style, noscript, template')) hidden.remove();
  return body.structuredText.toLowerCase().match(WORD) || [];
}

function topWords(counts, limit) {
  return [...counts]
    .filter(([word]) => !STOP_WORDS.has(word) && word.length > 1)
    .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1))
    .slice(0, limit)
    .map(([word, count]) => ({ word, count }));
}

function textOf(element) {
  return element ? element.text.replace(/\s+/g, ' ').trim() : '';
}
