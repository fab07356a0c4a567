/* Breaks the exports rule: a function the files of a library share,
 * declared nowhere public and not hidden, leaks out of the shared library. */
int dns_leaked_helper(int x);
int dns_leaked_helper(int x)
{
	return x + 1;
}
