"""geo_heart.geocode"""
