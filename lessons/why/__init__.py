"""The "Why it works" page's experiments: each trains every configuration over several seeds together (one stacked
`bn_core.nn` network per normalization) and returns its results, bands and a verdict computed from them.

| module             | claim tested                                                              |
| ------------------ | ------------------------------------------------------------------------- |
| learning_rate      | BatchNorm trains at larger learning rates (Ioffe & Szegedy 2015)          |
| initialization     | BatchNorm makes training insensitive to the initial weight scale          |
| regularization     | BatchNorm regularizes: a smaller generalization gap                       |
| covariate_shift    | BatchNorm reduces internal covariate shift (Ioffe & Szegedy; Santurkar)   |
| smoothness         | BatchNorm smooths the loss landscape (Santurkar et al. 2018)              |
"""
