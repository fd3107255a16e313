"""Every picture the workbench draws, one module per stage, for the lessons and the report alike.

==============================  ======================================================  ======
module                          what it draws                                           lesson
==============================  ======================================================  ======
:mod:`~rcwork.display.synthesis`   filter statistics, records as Markdown; its report section   01
:mod:`~rcwork.display.records`     records and encoded samples as HTML, tokens as text,         02
                                   the record browser widget
:mod:`~rcwork.display.masks`       the trainer's attention mask, hidden share per strategy,     03
                                   the mask explorer widget
:mod:`~rcwork.display.distill`     loss terms along training; its report section                04
:mod:`~rcwork.display.evaluation`  per-problem bars, the verdict grid, flips; report section    05
:mod:`~rcwork.display.reflexi`     reward curves, held-out table, trajectories and their        06
                                   viewer; its report section
:mod:`~rcwork.display.html`        what they share: HTML that displays, maths markers, tables
==============================  ======================================================  ======

The sweep's figures live with the sweep (:mod:`rcwork.sweep.report`); the page that gathers the
sections is :mod:`rcwork.report`.
"""
