"""The LMS side of cmi5 (the xAPI profile for launched content), for catalog modules.

- ``vocabulary``: verb, category, extension and activity type IRIs of the specification.
- ``structure``: the course structure (``cmi5.xml``) parsed and checked against the
  rules of the CourseStructure.xsd and section 13.
- ``launch``: registrations, the ``launched`` statement, ``LMS.LaunchData``, the launch
  URL and the one-time fetch URL of the auth token (sections 8 and 10).
- ``rules``: the LMS's statement rules as a ``learning_store`` statement policy (9.3).
- ``progress``: moveOn evaluation, ``satisfied`` for blocks and the course, ``abandoned``.
"""
