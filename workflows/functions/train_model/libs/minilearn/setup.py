"""minilearn: small classifiers in pure Python, for train_model (no index needed to install)."""

from setuptools import setup

setup(
    name="minilearn",
    version="1.0.0",
    description="Decision trees, random forests, k-NN and nearest centroids in pure Python",
    packages=["minilearn"],
    python_requires=">=3.9",
)
