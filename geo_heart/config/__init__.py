"""geo_heart.config"""
