"""geo_heart.analysis"""
