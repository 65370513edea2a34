"""geo_heart.render"""
