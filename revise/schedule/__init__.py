"""Scheduling with fsrs (FSRS-6): cards, today's queue, exam planning, rating suggestions, days.

Nothing here schedules on its own: intervals and retrievability come from `fsrs.Scheduler`; these
modules only turn database rows into fsrs cards and decide what to show, in which order.
"""
