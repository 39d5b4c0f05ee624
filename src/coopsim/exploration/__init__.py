"""Exploring the outcome space: declared uncertainties and levers, ensembles of runs, global sensitivity, scenario discovery.

The exploratory-modelling way of the EMA Workbench (Kwakkel 2017, *Environmental Modelling &
Software* 96: 239-250): an experiment declares, as typed data, what is uncertain (each
uncertainty with its range, distribution and source), what is a policy lever and what the
outcomes are; an ensemble samples them with a design, runs each sample paired with its
no-agreement baseline, and the analysis asks which inputs matter (variance-based and
moment-independent sensitivity) and which combinations of them lead to each outcome class
(PRIM scenario discovery).

* :mod:`coopsim.exploration.spec`: the typed declaration and its validation, before any run.
* :mod:`coopsim.exploration.design`: the designs (Latin hypercube, Saltelli/Sobol, Morris) with SALib.
* :mod:`coopsim.exploration.outcomes`: a run's outcomes against its paired baseline, and its sub-centre class.
* :mod:`coopsim.exploration.explore`: ``coopsim-explore``, the ensemble runner (in-process, chunked, resumable).
* :mod:`coopsim.exploration.analyse`: ``coopsim-analyse``, sensitivity indices, PRIM boxes and figures.
"""
