"""scikit-learn stance and actor baselines of a dataset (`stance-corpus baseline`) and their predictions (`predict`)."""
