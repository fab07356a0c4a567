/* Breaks "prefix": exports a symbol outside the dns_ namespace. */
int unprefixed_helper(int x);
int unprefixed_helper(int x)
{
	return x + 1;
}
