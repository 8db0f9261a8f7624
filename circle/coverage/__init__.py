"""Coverage: every community walked to its nearest centre, the summary, key groups, roll-ups by
area and the walk-time polygons (isochrones).
"""
