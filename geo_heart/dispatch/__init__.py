"""geo_heart.dispatch"""
