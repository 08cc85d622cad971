"""Tools of the national body for grid versions: what changed, what a change would do.

* :mod:`~assessment.gridtools.roundtrip` — edit a grid's YAML keeping its author's
  comments and key order (ruamel.yaml round trip);
* :mod:`~assessment.gridtools.diff` — items and questions added, removed,
  replaced, reworded, re-weighted; level descriptors and conditions changed;
* :mod:`~assessment.gridtools.lineage` — which ids of an older version a newer
  version's items and questions continue (``replaces``), for history across versions;
* :mod:`~assessment.gridtools.dryrun` — a draft scored on a campaign's submitted
  answers, reported only as protected aggregates.

The pages (« Grilles et campagnes ») and the ``assessment grids`` commands are
thin adapters over these functions.
"""
