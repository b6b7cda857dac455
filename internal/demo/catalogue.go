package demo

import _ "embed"

// Catalogue is the sample OCOP catalogue (CSV, the importer's field names
// as headers): 102 fictional products across the 34 provinces.
//
//go:embed data/ocop-sample-catalogue.csv
var Catalogue []byte
