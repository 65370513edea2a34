"""geo_heart.expansion"""
