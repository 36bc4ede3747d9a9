// Reads a GraphML file with graphology-graphml, as a graphology/Sigma.js user would, and prints what it got as JSON.
const fs = require('fs');
const {DOMParser} = require('@xmldom/xmldom');
const Graph = require('graphology');
const graphml = require('graphology-graphml');

const text = fs.readFileSync(process.argv[2], 'utf8');
const doc = new DOMParser().parseFromString(text, 'application/xml');
const graph = graphml.parse(Graph, doc, {addMissingNodes: false});
const normalised = {true: 0, false: 0};
graph.forEachNode((node, attrs) => { normalised[attrs.normalised === true] += 1; });
const predicates = {};
graph.forEachEdge((edge, attrs) => { predicates[attrs.predicate] = (predicates[attrs.predicate] || 0) + 1; });
const first = graph.edges()[0];
process.stdout.write(JSON.stringify({
  order: graph.order, size: graph.size, multi: graph.multi, type: graph.type,
  normalised, predicates, firstEdgeAttributes: first ? graph.getEdgeAttributes(first) : null,
}) + '\n');
