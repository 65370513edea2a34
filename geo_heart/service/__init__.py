"""The dispatch lookup HTTP service (FastAPI) and the call-taker page.

- :mod:`geo_heart.service.app` — :func:`create_app`, routes and error handlers;
- :mod:`geo_heart.service.models` — request/response models and JSON rendering;
- :mod:`geo_heart.service.state` — :class:`LookupService`: the area and its warmed indexes;
- :mod:`geo_heart.service.hardening` — body limit, bearer token, path scrubbing.
"""
