#!/usr/bin/env python3
# threads.py FILE.collapsed THREADREGEX [N]: with a collapsed profile recorded with AP_OPTS=threads (a frame per thread
# first), the share of the matching threads and, within them, the top N self frames and dev.moat frames inclusive
import re,sys
from collections import Counter
f=sys.argv[1]; trx=re.compile(sys.argv[2]); lim=int(sys.argv[3]) if len(sys.argv)>3 else 40
st=[]; tot=0
for line in open(f):
    s,_,n=line.rstrip('\n').rpartition(' '); n=int(n); fr=s.split(';'); tot+=n
    if trx.search(fr[0]): st.append((fr,n))
sub=sum(n for _,n in st)
if not sub:
    sys.exit("no samples in threads matching " + sys.argv[2])
print(f"thread {100*sub/tot:.1f}% of all samples ({sub})")
selfc=Counter(); inc=Counter()
for fr,n in st:
    selfc[fr[-1]]+=n
    for x in set(fr[1:]): inc[x]+=n
print("-- self (share of thread)")
for k,n in selfc.most_common(lim): print(f"{100*n/sub:5.1f}% {k}")
print("-- inclusive (share of thread), dev.moat only")
for k,n in [(k,n) for k,n in inc.most_common() if 'moat' in k][:lim]: print(f"{100*n/sub:5.1f}% {k}")
