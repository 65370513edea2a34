"""geo_heart.service"""
