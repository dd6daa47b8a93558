"""Launch data storages for pylti1p3 (mirrors ``contrib/flask/launch_data_storage``)."""
