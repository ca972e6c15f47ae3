"""Statistical procedures that more than one layer needs, on plain numbers.

The A/B tests' stopping rules live here, below the scenario, because a scenario's
validator plans the fixed-horizon test's sample size when the file is loaded. May import:
numpy, scipy.
"""
