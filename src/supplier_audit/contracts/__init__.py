"""Contracts: the input and output tables, their rules, and the vocabulary shared by the stages."""
