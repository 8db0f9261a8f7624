"""Offline HTML maps (folium): the coverage map, the what-if map and the comparison map."""
