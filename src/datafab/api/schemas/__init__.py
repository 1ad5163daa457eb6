"""What the API's routes answer, as Pydantic models: each route declares one as its
``response_model``, so ``/openapi.json`` describes every JSON response. One module per
router. The models describe the dictionaries the services return; routes are declared with
``response_model_exclude_unset=True``, so a key a service leaves out stays out."""
