// Package views prints clusterctl's results for people and for programs:
// each result has a human form (colour on a terminal) and a JSON form
// whose fields are documented in docs/plan.md. Views never see secrets:
// everything they print was masked before it reached them.
package views
