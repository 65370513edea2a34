"""geo_heart.geo"""
