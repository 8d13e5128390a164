// Read an lbp-kg JSON-LD answer with jsonld.js, offline, and print its triples as N-Quads.
//
//   node tests/js/jsonld-offline.mjs ANSWER.jsonld ontology/context.jsonld
//
// The document loader answers lbp-kg's context IRI from the local copy and refuses every other
// URL, so nothing is fetched (docs/json-ld.md shows the same loader to app developers).
import { readFile } from 'node:fs/promises';
import jsonld from 'jsonld';

const CONTEXT_IRI = 'https://w3id.org/lbp-kg/context.jsonld';
const [answerPath, contextPath] = process.argv.slice(2);
const bundledContext = JSON.parse(await readFile(contextPath, 'utf8'));

const documentLoader = async (url) => {
  if (url === CONTEXT_IRI) {
    return { contextUrl: null, documentUrl: url, document: bundledContext };
  }
  throw new Error(`refused to fetch ${url}: lbp-kg answers are read offline`);
};

const answer = JSON.parse(await readFile(answerPath, 'utf8'));
process.stdout.write(await jsonld.toRDF(answer, { format: 'application/n-quads', documentLoader }));
