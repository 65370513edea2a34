"""geo_heart.io"""
