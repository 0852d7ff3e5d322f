"""Reviewing subtitle files: read them with positions, lint and fix them, preview and plot them.

``parse`` reads SRT and WebVTT strictly and keeps line numbers; ``check`` runs the rules;
``fix`` applies the safe repairs; ``load`` turns any of our inputs (.srt, .vtt, .json) into
cues to show; ``preview``, ``video`` and ``plot`` make a web page, a video and a picture.
"""
