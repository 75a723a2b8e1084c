"""The micro-wish claims read model: who claimed which wish when, releases, fulfilments and
the residents' verdicts on them, for the community's view of its claimants."""
