"""Maps: the offline HTML maps (folium: coverage, what-if, comparison), their colours (`colours`),
the static picture for print (`static`) and the styled QGIS GeoPackage (`geopackage`)."""
