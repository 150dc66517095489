package io.berrys.mesh.migration.lint;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL script into statements at top-level semicolons, honouring PostgreSQL's quoting (single quotes,
 * double quotes, dollar quotes) and comments, and keeps each statement's first line and the comments just above
 * it (where a reviewed override lives). Only the boundaries are found here; each statement is then parsed.
 */
public final class SqlStatements {

    /** One statement of a script: its text, the line it starts on, and the comments written right before it. */
    public record Statement(String sql, int line, String leadingComments) {}

    private SqlStatements() {}

    public static List<Statement> split(String script) {
        List<Statement> statements = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        StringBuilder comments = new StringBuilder();
        int line = 1;
        int startLine = -1;
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '\n') {
                line++;
            }
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                end = end < 0 ? n : end;
                if (startLine < 0) {
                    comments.append(script, i, end).append('\n');
                } else {
                    sql.append(script, i, end);
                }
                i = end;
                continue;
            }
            if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                String comment = script.substring(i, end);
                line += count(comment, '\n');
                if (startLine < 0) {
                    comments.append(comment).append('\n');
                } else {
                    sql.append(comment);
                }
                i = end;
                continue;
            }
            if (startLine < 0 && !Character.isWhitespace(c) && c != ';') {
                startLine = line;
            }
            if (c == '\'' || c == '"') {
                int end = closingQuote(script, i, c);
                String quoted = script.substring(i, end);
                line += count(quoted, '\n');
                sql.append(quoted);
                i = end;
                continue;
            }
            if (c == '$') {
                String tag = dollarTag(script, i);
                if (tag != null) {
                    int close = script.indexOf(tag, i + tag.length());
                    int end = close < 0 ? n : close + tag.length();
                    String body = script.substring(i, end);
                    line += count(body, '\n');
                    sql.append(body);
                    i = end;
                    continue;
                }
            }
            if (c == ';') {
                if (startLine >= 0) {
                    statements.add(new Statement(sql.toString().strip(), startLine, comments.toString()));
                }
                sql.setLength(0);
                comments.setLength(0);
                startLine = -1;
                i++;
                continue;
            }
            if (startLine >= 0) {
                sql.append(c);
            }
            i++;
        }
        if (startLine >= 0 && !sql.toString().isBlank()) {
            statements.add(new Statement(sql.toString().strip(), startLine, comments.toString()));
        }
        return statements;
    }

    private static int closingQuote(String script, int start, char quote) {
        int i = start + 1;
        while (i < script.length()) {
            if (script.charAt(i) == quote) {
                if (i + 1 < script.length() && script.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return script.length();
    }

    /** {@code $$} or {@code $tag$} starting at {@code start}, or null. */
    private static String dollarTag(String script, int start) {
        int i = start + 1;
        while (i < script.length() && (Character.isLetterOrDigit(script.charAt(i)) || script.charAt(i) == '_')) {
            i++;
        }
        if (i < script.length() && script.charAt(i) == '$') {
            String tag = script.substring(start, i + 1);
            return tag.length() > 2 && Character.isDigit(tag.charAt(1)) ? null : tag;
        }
        return null;
    }

    private static int count(String text, char wanted) {
        int count = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == wanted) {
                count++;
            }
        }
        return count;
    }
}
