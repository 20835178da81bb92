package dev.moat.gateway.admin;

import dev.moat.gateway.http.Problem;

/** A problem an admin handler answers with, thrown from where it is found (no stack trace). */
public final class AdminProblemException extends Exception {

    private final transient Problem problem;

    public AdminProblemException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
