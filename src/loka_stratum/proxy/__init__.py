"""Proxy mode's upstream side: Stratum V1 connections to upstream pools, failover, and the
extranonce subdivision that lets many miners share one upstream connection."""
